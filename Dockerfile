# Linli gateway image (docs/operations.md#docker). Build: docker build -t linli .   Not built in CI.
# Stage 1 builds dist/ and the guard station with the dev tools; stage 2 holds only the production install.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY gateway/package.json gateway/
COPY devices-sim/package.json devices-sim/
COPY admin-ui/package.json admin-ui/
COPY patches patches
COPY scripts scripts
COPY prisma prisma
COPY prisma.config.ts tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production MALLOC_ARENA_MAX=2 DATABASE_URL=file:/data/linli.db HTTP_HOST=0.0.0.0 MQTT_HOST=0.0.0.0
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && groupadd --system linli && useradd --system --gid linli --home-dir /data linli \
 && mkdir -p /data && chown linli:linli /data && chmod 0700 /data
COPY package.json package-lock.json ./
COPY gateway/package.json gateway/
COPY devices-sim/package.json devices-sim/
COPY admin-ui/package.json admin-ui/
COPY patches patches
COPY scripts/postinstall.mjs scripts/
# The schema too: @prisma/client's own install step looks for it (the gateway uses the client inside its bundle).
COPY prisma prisma
RUN npm ci --omit=dev --no-audit --no-fund \
 && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* /root/.npm
COPY docs docs
COPY --from=build /app/dist dist
COPY --from=build /app/admin-ui/dist admin-ui/dist
USER linli
VOLUME /data
EXPOSE 1883 8883 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/gateway.mjs"]
