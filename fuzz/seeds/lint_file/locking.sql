CREATE TABLE cms_posts (id bigserial PRIMARY KEY, title varchar(255), created_at timestamp);
ALTER TABLE cms_posts ADD COLUMN slug text NOT NULL DEFAULT gen_random_uuid()::text, ALTER COLUMN title TYPE varchar(100);
CREATE INDEX cms_posts_slug ON cms_posts (slug);
ALTER TABLE raw_events ADD CONSTRAINT fk FOREIGN KEY (post_id) REFERENCES cms_posts (id);
UPDATE cms_posts SET title = 'x';
DROP TABLE directus_files;
ALTER TYPE mood ADD VALUE 'meh';
TRUNCATE staging_deals;
