-- expect: dynamic-sql-unanalyzable
DO LANGUAGE plpython3u $$
plpy.execute('DROP TABLE users')
$$;
