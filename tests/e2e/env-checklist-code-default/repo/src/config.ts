// Every variable but DATABASE_URL has a default: none needs an entry
// in .env.example or compose.
export const config = {
  databaseUrl: process.env.DATABASE_URL!,
  port: Number(process.env.PORT || 3000),
  cacheTtl: process.env["CACHE_TTL"] ?? "60",
  debug: process.env.DEBUG ? true : false,
};

const { LOG_LEVEL = "info", LOG_FORMAT: logFormat = "json" } = process.env;
export const logging = { level: LOG_LEVEL, format: logFormat };
export const apiBase = import.meta.env.VITE_API_BASE || "/api";
