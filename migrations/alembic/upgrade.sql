BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

CREATE TABLE raw_crunchbase (
    id BIGINT GENERATED ALWAYS AS IDENTITY, 
    entity_id VARCHAR(64) NOT NULL, 
    payload JSONB NOT NULL, 
    fetched_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    PRIMARY KEY (id)
);

CREATE UNIQUE INDEX raw_crunchbase_entity_id_idx ON raw_crunchbase (entity_id);

INSERT INTO alembic_version (version_num) VALUES ('0001') RETURNING alembic_version.version_num;

-- Running upgrade 0001 -> 0002

CREATE TABLE staging_deals (
    id BIGINT GENERATED ALWAYS AS IDENTITY, 
    raw_id BIGINT NOT NULL, 
    company_name VARCHAR(255) NOT NULL, 
    investor_name VARCHAR(255) NOT NULL, 
    amount_usd NUMERIC(14, 2), 
    announced_on DATE, 
    PRIMARY KEY (id), 
    FOREIGN KEY(raw_id) REFERENCES raw_crunchbase (id) ON DELETE CASCADE
);

CREATE INDEX staging_deals_raw_id_idx ON staging_deals (raw_id);

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';

-- Running upgrade 0002 -> 0003

CREATE INDEX raw_crunchbase_fetched_at_idx ON raw_crunchbase (fetched_at);

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';

-- Running upgrade 0003 -> 0004

ALTER TABLE staging_deals ADD COLUMN currency VARCHAR(3);

UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003';

COMMIT;

