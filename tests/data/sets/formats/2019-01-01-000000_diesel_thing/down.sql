DROP TABLE diesel_thing;
