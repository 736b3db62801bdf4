CREATE TABLE "app_deal_notes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"deal_id" uuid NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "app_companies" ADD COLUMN "website_url" text;--> statement-breakpoint
ALTER TABLE "cms_docs_pages" ADD COLUMN "author_id" uuid;--> statement-breakpoint
ALTER TABLE "app_deal_notes" ADD CONSTRAINT "app_deal_notes_deal_id_app_deals_id_fk" FOREIGN KEY ("deal_id") REFERENCES "public"."app_deals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "app_deal_notes_deal_id_idx" ON "app_deal_notes" USING btree ("deal_id");--> statement-breakpoint
ALTER TABLE "cms_docs_pages" ADD CONSTRAINT "cms_docs_pages_author_id_cms_authors_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."cms_authors"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "app_companies_name_idx" ON "app_companies" USING btree ("name");--> statement-breakpoint
CREATE INDEX "cms_docs_pages_author_id_idx" ON "cms_docs_pages" USING btree ("author_id");