0DROP TABLE diesel_thing;
