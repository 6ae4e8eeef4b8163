/* a /* b */ c */ SELECT 1;
