import { index, numeric, pgTable, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";

export const appCompanies = pgTable(
  "app_companies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: varchar("name", { length: 255 }).notNull(),
    slug: varchar("slug").notNull().unique(),
    description: text("description"),
    websiteUrl: text("website_url"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("app_companies_name_idx").on(t.name)],
);

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

export const appDealNotes = pgTable(
  "app_deal_notes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    dealId: uuid("deal_id")
      .notNull()
      .references(() => appDeals.id, { onDelete: "cascade" }),
    body: text("body").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("app_deal_notes_deal_id_idx").on(t.dealId)],
);
