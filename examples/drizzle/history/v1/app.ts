import { index, numeric, pgTable, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";

export const appCompanies = pgTable("app_companies", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: varchar("name", { length: 255 }).notNull(),
  slug: varchar("slug").notNull().unique(),
  description: text("description"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const appInvestors = pgTable("app_investors", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: varchar("name", { length: 255 }).notNull(),
  kind: varchar("kind", { length: 32 }).notNull().default("vc"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const appDeals = pgTable(
  "app_deals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    companyId: uuid("company_id")
      .notNull()
      .references(() => appCompanies.id, { onDelete: "cascade" }),
    investorId: uuid("investor_id")
      .notNull()
      .references(() => appInvestors.id, { onDelete: "restrict" }),
    stage: varchar("stage", { length: 32 }).notNull(),
    amountUsd: numeric("amount_usd", { precision: 14, scale: 2 }),
    announcedAt: timestamp("announced_at", { withTimezone: true }),
  },
  (t) => [
    index("app_deals_company_id_idx").on(t.companyId),
    index("app_deals_investor_id_idx").on(t.investorId),
  ],
);
