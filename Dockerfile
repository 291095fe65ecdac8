# cutover gateway image: build with dev dependencies, ship only what runs.
#   docker build -t cutover .
#   docker run -p 8080:8080 -e CUTOVER_ADMIN_TOKEN=… -e LEGACY_URL=… -e CANDIDATE_URL=… \
#              -e DATABASE_URL=postgres://… cutover
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its native module when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY dashboard ./dashboard
COPY schema ./schema
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/dashboard ./dist/dashboard
COPY package.json ./
COPY bin ./bin
COPY schema ./schema
COPY deploy/cutover.yaml ./deploy/cutover.yaml
# The node user (uid 1000) owns only the state directory (SQLite when DATABASE_URL is unset).
RUN mkdir -p .cutover && chown node:node .cutover
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/_cutover/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains: readiness turns 503, in-flight requests finish (timeouts.shutdown).
STOPSIGNAL SIGTERM
CMD ["node", "bin/cutover.js", "run", "-c", "deploy/cutover.yaml"]
