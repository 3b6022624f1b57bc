-- An erasure on request sticks: later crawls must not bring the account's data back.
ALTER TABLE accounts ADD COLUMN erased_at timestamptz;
