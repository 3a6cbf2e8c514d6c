# okta-chatops: a static binary on an empty image, run as a non-root user.
# Build: docker build -t okta-chatops .   Run: docker run --env-file bot.env okta-chatops
# .dockerignore keeps bot.env, *.env, keys and .git out of the build context.
# The base image is pinned by tag, not by digest: no digest could be verified where this
# was written (docs/operations.md says how to pin one). scratch has no digest.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/okta-chatops ./cmd/okta-chatops

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/okta-chatops /okta-chatops
USER 65532:65532
ENV HTTP_ADDR=:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/okta-chatops", "health"]
ENTRYPOINT ["/okta-chatops"]
CMD ["serve"]
