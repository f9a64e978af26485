"""The slurmrestd backend: client, token minting and the errors of both."""
