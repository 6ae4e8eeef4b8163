-- expect: add-column-serial-or-identity
ALTER TABLE events ADD COLUMN seq bigserial;
