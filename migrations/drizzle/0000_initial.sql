CREATE TABLE "analytics_page_views" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "analytics_page_views_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"path" text NOT NULL,
	"referrer" text,
	"viewed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "app_companies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"slug" varchar NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "app_companies_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "app_deals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"company_id" uuid NOT NULL,
	"investor_id" uuid NOT NULL,
	"stage" varchar(32) NOT NULL,
	"amount_usd" numeric(14, 2),
	"announced_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "app_investors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"kind" varchar(32) DEFAULT 'vc' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cms_authors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"email" varchar(255) NOT NULL,
	"bio" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cms_authors_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "cms_blog_posts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" varchar(255) NOT NULL,
	"slug" varchar NOT NULL,
	"excerpt" text,
	"content" text NOT NULL,
	"status" varchar(32) DEFAULT 'draft' NOT NULL,
	"published_at" timestamp with time zone,
	"author_id" uuid,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cms_blog_posts_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "cms_docs_pages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"parent_id" uuid,
	"title" varchar(255) NOT NULL,
	"slug" varchar NOT NULL,
	"content" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cms_docs_pages_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "cms_features" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key" varchar(100) NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" text,
	"enabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cms_features_key_unique" UNIQUE("key")
);
--> statement-breakpoint
ALTER TABLE "app_deals" ADD CONSTRAINT "app_deals_company_id_app_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."app_companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "app_deals" ADD CONSTRAINT "app_deals_investor_id_app_investors_id_fk" FOREIGN KEY ("investor_id") REFERENCES "public"."app_investors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cms_blog_posts" ADD CONSTRAINT "cms_blog_posts_author_id_cms_authors_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."cms_authors"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cms_docs_pages" ADD CONSTRAINT "cms_docs_pages_parent_id_cms_docs_pages_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."cms_docs_pages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "analytics_page_views_viewed_at_idx" ON "analytics_page_views" USING btree ("viewed_at");--> statement-breakpoint
CREATE INDEX "app_deals_company_id_idx" ON "app_deals" USING btree ("company_id");--> statement-breakpoint
CREATE INDEX "app_deals_investor_id_idx" ON "app_deals" USING btree ("investor_id");--> statement-breakpoint
CREATE INDEX "cms_blog_posts_status_published_at_idx" ON "cms_blog_posts" USING btree ("status","published_at");--> statement-breakpoint
CREATE INDEX "cms_blog_posts_published_at_idx" ON "cms_blog_posts" USING btree ("published_at");--> statement-breakpoint
CREATE INDEX "cms_blog_posts_author_id_idx" ON "cms_blog_posts" USING btree ("author_id");--> statement-breakpoint
CREATE INDEX "cms_docs_pages_parent_id_idx" ON "cms_docs_pages" USING btree ("parent_id");