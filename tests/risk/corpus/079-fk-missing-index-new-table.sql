-- expect: (none)
-- info: fk-missing-index
CREATE TABLE projects (id bigint PRIMARY KEY);
CREATE TABLE tasks (id bigint PRIMARY KEY, project_id bigint REFERENCES projects (id));
