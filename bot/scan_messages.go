package bot

import "github.com/okta-chatops/okta-chatops/remediation"

func msgScanWorking(app string) text {
	return tf(":hourglass_flowing_sand: Scanning every user assigned to %s; the progress is shown in the channel.",
		":hourglass_flowing_sand: %s に割り当てられた全ユーザーを確認しています。進捗はチャンネルに表示されます。", app)
}

func msgScanProgress(app string, checked int) text {
	return tf(":hourglass_flowing_sand: Scanning %s: %d assigned users checked so far…",
		":hourglass_flowing_sand: %s を確認しています: 割り当て済みユーザー %d 人を確認済み…", app, checked)
}

func msgScanFailed(app string) text {
	return tf(":warning: The scan of %s did not finish.", ":warning: %s の確認を完了できませんでした。", app)
}

func msgScanHeader(r remediation.ScanResult, requester string) text {
	if len(r.Failing) == 0 {
		return tf(":white_check_mark: Scan of *%s* for %s: %d assigned users checked, no provisioning failure found.",
			":white_check_mark: %[2]s による *%[1]s* の確認: 割り当て済みユーザー %[3]d 人を確認し、プロビジョニングの失敗は見つかりませんでした。",
			esc(r.App.Label), mention(requester), r.Checked)
	}
	return tf(":mag: Scan of *%s* for %s: %d assigned users checked, %d failing.",
		":mag: %[2]s による *%[1]s* の確認: 割り当て済みユーザー %[3]d 人のうち %[4]d 人でプロビジョニングに失敗しています。",
		esc(r.App.Label), mention(requester), r.Checked, len(r.Failing))
}

func msgUsers(n int) text { return tf("%d users", "%d 人", n) }

func msgAndMore(n int) text { return tf("and %d more", "ほか %d 人", n) }

func msgProposeBulk(p remediation.PlanID, n int) text {
	return tf("%s for %d users", "%[2]d 人に%[1]s", p.Title(), n)
}

func msgScanMore() text {
	return t("More causes were found than fit here; run the scan in a terminal for all of them.",
		"ここに表示しきれない原因があります。すべてを確認するにはターミナルで scan を実行してください。")
}
