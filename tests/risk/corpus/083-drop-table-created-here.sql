-- expect: (none)
CREATE TABLE tmp_import (id int);
DROP TABLE tmp_import;
