3CREATE TABLE audit (id bigint);
