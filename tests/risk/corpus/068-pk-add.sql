-- expect: add-primary-key-blocking
ALTER TABLE legacy_events ADD PRIMARY KEY (id);
