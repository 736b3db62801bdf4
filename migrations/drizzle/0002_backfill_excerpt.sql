-- Custom SQL migration file, put your code below! --
UPDATE cms_blog_posts SET excerpt = left(content, 200) WHERE excerpt IS NULL;
