# syntax=docker/dockerfile:1
# Licence Vault service image (Node 20, run with tsx — there is no build step).
# Used by docker/compose.yaml (vault-1, vault-2); see docker/README.md.
FROM node:20-bookworm-slim

# fonts-ipamj-mincho, fonts-hanazono: the Mincho faces that draw rare name characters (𠮷, 𪚥) beside the
# Song body (README "The PDF");
# tini: PID 1 that forwards signals so the service shuts down cleanly on `docker compose stop`.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-ipamj-mincho fonts-hanazono tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/var/lib/licence-vault \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Dependencies first (layer cache). The root package's postinstall runs `npm --prefix chaincode ci`,
# so the chaincode's manifests must be present before `npm ci`.
COPY package.json package-lock.json ./
COPY chaincode/package.json chaincode/package-lock.json ./chaincode/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The source (tsx runs the TypeScript directly). .dockerignore keeps data, tests output, .git… out.
COPY . .

# DATA_DIR holds keys and the development PKI (mode 0600): owned by the unprivileged user. A named
# volume mounted here inherits this ownership on first use.
RUN mkdir -p /var/lib/licence-vault && chown -R node:node /var/lib/licence-vault
USER node

EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["npm", "start"]
