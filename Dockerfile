# verdict: the fraud-decision service, as a small non-root image.
#
#   docker build -t verdict .
#   docker run -p 8080:8080 \
#     -e VERDICT_API_KEYS='checkout-web:decide:<32+ random chars>,ops:admin+audit:<...>' \
#     -e ROUNDTABLE_API_KEY=sk-... verdict
#
# The image listens on 0.0.0.0:8080, so it refuses to start with the public
# demo key: set VERDICT_API_KEYS. Without ROUNDTABLE_API_KEY it serves the
# demo reports from the built-in simulator (and says so in its log).

# ---- build: a static binary (CGO_ENABLED=0), the shipped policies checked
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/verdict ./cmd/verdict
# The policies that ship must load and pass their suites, or the build fails.
RUN /out/verdict lint rules/ && /out/verdict test rules/
# An empty folder for the decision log, to be owned by the runtime user.
RUN mkdir -p /out/data

# ---- run: distroless static, no shell, uid 65532
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/verdict /usr/local/bin/verdict
COPY --from=build /src/rules /etc/verdict/rules
COPY --from=build /src/testdata/reports /usr/share/verdict/demo-reports
COPY --from=build --chown=65532:65532 /out/data /var/lib/verdict
# The decision log: an SQLite file on a volume (mount one to keep it), or
# VERDICT_DATABASE_URL=postgres://... for several replicas.
ENV VERDICT_LISTEN_ADDR=0.0.0.0:8080 \
    VERDICT_RULES_DIR=/etc/verdict/rules \
    VERDICT_DEMO_REPORTS_DIR=/usr/share/verdict/demo-reports \
    VERDICT_DATABASE_URL=/var/lib/verdict/verdict.db
VOLUME /var/lib/verdict
USER nonroot:nonroot
EXPOSE 8080
# No curl in the image: the binary probes its own /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/verdict", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/verdict"]
CMD ["serve"]
