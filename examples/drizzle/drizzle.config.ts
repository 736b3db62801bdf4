import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  // Overridable so scripts/regen-examples.sh can replay older schema versions.
  schema: process.env.DRIZZLE_SCHEMA ?? "./src/*.ts",
  out: "../../migrations/drizzle",
});
