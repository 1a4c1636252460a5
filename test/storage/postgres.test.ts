/** The PostgreSQL driver: the storage contract against a real PostgreSQL, migrations, concurrency, query plans. */
import test from "ava";
import { openTestStorage, requirePostgres } from "../helpers/postgres.js";
import { storageContract } from "./contract.js";

test.before(requirePostgres);

storageContract(test, "postgres", () => openTestStorage());
