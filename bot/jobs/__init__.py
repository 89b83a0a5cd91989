"""JobQueue work: each job decides from the database and claims its work there."""
