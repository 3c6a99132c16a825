// Loaded by mocha before any test file: keep fabric-contract-api's winston
// logger (info level by default) quiet during unit tests.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'ERROR';
