-- Runs once, when the PostgreSQL volume is first initialised: Temporal's visibility store lives
-- in a database of its own beside `temporal` (which the image creates for POSTGRES_USER).
CREATE DATABASE temporal_visibility;
