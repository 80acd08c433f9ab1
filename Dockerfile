# prodops worker and trigger gateway image.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The configuration is mounted at run time (see docker-compose.yml); secrets come from the environment.
ENV PRODOPS_CONFIG=/config/prodops.config.yaml
USER node
ENTRYPOINT ["node", "bin/prodops.js"]
CMD ["worker"]
