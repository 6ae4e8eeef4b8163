-- expect: sequence-reset
SELECT setval(pg_get_serial_sequence('orders', 'id'), 1);
