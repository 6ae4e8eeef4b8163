-- expect: (none)
-- info: (none)
CREATE TABLE projects (id bigint PRIMARY KEY);
CREATE TABLE tasks (id bigint PRIMARY KEY, project_id bigint REFERENCES projects (id));
CREATE INDEX tasks_project_idx ON tasks (project_id);
