# syntax=docker/dockerfile:1
# Production image. Set MONGODB_URI: the local database (mongod from mongodb-memory-server, or FerretDB built with Go
# from src/store/ferretdb) is for development and tests; neither it nor its sources are in this image
# (mongodb-memory-server-core is a dev dependency, and .dockerignore leaves the Go helper out).
#
# Stopping: SIGTERM (docker stop) ends the bot within 9 s, inside Docker's default 10 s grace: requests to Exotel in
# flight get 6 s to be answered and recorded; one still unanswered is checked with Exotel at the next start.
# Command line inside a running container: docker exec <container> node dist/cli/campaign-cli.js stop <name>

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json manifest.yml ./
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
# /healthz is 503 when the database does not answer or the engine has stopped ticking; /readyz is for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
