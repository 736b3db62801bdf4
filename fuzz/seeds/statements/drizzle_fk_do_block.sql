CREATE TABLE IF NOT EXISTS "cms_votes" ("id" serial PRIMARY KEY NOT NULL, "post_id" integer);
--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "cms_votes" ADD CONSTRAINT "cms_votes_post_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."cms_posts"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
