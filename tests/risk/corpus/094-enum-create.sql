-- expect: (none)
-- info: create-enum
CREATE TYPE key_kind AS ENUM ('live', 'test');
