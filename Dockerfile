# Multi-stage build for the demo: `docker compose up --build` needs no prior
# step. Stages: the frontend (webpack), the backend and the sandbox (Go), then
# a Grafana image with the plugin installed, and a small sandbox image.

ARG GRAFANA_VERSION=12.3.0

# Node as in .nvmrc and package.json engines (@grafana/plugin-ui asks for 24).
FROM node:24-bookworm AS frontend
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY .config ./.config
COPY tsconfig.json jest.config.js jest-setup.js eslint.config.mjs .prettierrc.js webpack.config.ts ./
COPY src ./src
# The dashboards the build ships as plugin.json includes (dist/dashboards/).
COPY provisioning/dashboards ./provisioning/dashboards
COPY README.md CHANGELOG.md LICENSE ./
RUN npm run build

FROM golang:1.26-bookworm AS backend
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY Magefile.go ./
COPY pkg ./pkg
COPY internal ./internal
COPY cmd ./cmd
COPY src/plugin.json ./src/plugin.json
COPY package.json ./
# Both Linux architectures, so the demo runs on amd64 and arm64 hosts alike.
RUN go run github.com/magefile/mage -v build:linux build:linuxARM64 \
 && CGO_ENABLED=0 go build -o /out/sandbox ./cmd/sandbox

FROM gcr.io/distroless/static-debian12 AS sandbox
COPY --from=backend /out/sandbox /sandbox
ENV SANDBOX_ADDR=0.0.0.0:8089
EXPOSE 8089
ENTRYPOINT ["/sandbox"]

FROM grafana/grafana:${GRAFANA_VERSION} AS grafana
COPY --from=frontend /src/dist /var/lib/grafana/plugins/opsdeck-servicestats-datasource
COPY --from=backend /src/dist/gpx_servicestats_linux_* /var/lib/grafana/plugins/opsdeck-servicestats-datasource/
# The demo plugin is unsigned; allow exactly this one.
ENV GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=opsdeck-servicestats-datasource
