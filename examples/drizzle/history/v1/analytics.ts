import { bigint, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const analyticsPageViews = pgTable(
  "analytics_page_views",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    path: text("path").notNull(),
    referrer: text("referrer"),
    viewedAt: timestamp("viewed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("analytics_page_views_viewed_at_idx").on(t.viewedAt)],
);
