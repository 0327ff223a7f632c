# amigate container image: build with the dev toolchain, run with production
# dependencies only, as the unprivileged `node` user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config/amigate.example.yaml ./config/amigate.example.yaml
# The web console (listeners[].console: true) is served from these static files.
COPY console ./console
# Dev certificates are made on first start into /certs (a volume), never baked in.
RUN mkdir -p /certs && chown node:node /certs
USER node
EXPOSE 5039 9189
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:9189/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# --max-semi-space-size=64: a 64 MiB young generation, so scavenges come 4x less often
# under load (docs/operations.md, "Node.js flags"; p99 at 10 clients 3.4-4.2x -> 1.5x the relay).
CMD ["sh", "-c", "[ -f /certs/server.crt ] || node dist/src/main.js certs --out /certs; exec node --max-semi-space-size=64 dist/src/main.js --config ${AMIGATE_CONFIG:-/etc/amigate/amigate.yaml}"]
