CREATE TABLE IF NOT EXISTS "app_deals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"raw_id" bigint
);
--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "app_deals" ADD CONSTRAINT "app_deals_raw_id_raw_crunchbase_id_fk" FOREIGN KEY ("raw_id") REFERENCES "public"."raw_crunchbase"("id") ON DELETE no action ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
