package io.natsoak.security;

import io.nats.client.NKey;
import io.nats.client.support.JwtUtils;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A decentralised (JWT) NATS setup made in the test: an operator, one account, one user and its
 * credentials file, signed with jnats' own NKey and JWT support, the way nsc would make them.
 */
final class OperatorMode {

    private final String operatorJwt;
    private final String accountId;
    private final String accountJwt;
    private final NKey account;

    private OperatorMode() throws Exception {
        NKey operator = NKey.createOperator(null);
        account = NKey.createAccount(null);
        String operatorId = new String(operator.getPublicKey());
        accountId = new String(account.getPublicKey());
        long now = JwtUtils.currentTimeSeconds();
        operatorJwt = JwtUtils.issueJWT(operator, operatorId, "natsoak-test", null, now, operatorId, null,
                () -> "{\"type\":\"operator\",\"version\":2}");
        accountJwt = JwtUtils.issueJWT(operator, accountId, "NATSOAK", null, now, operatorId, null,
                () -> "{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,\"exports\":-1,\"wildcards\":true,"
                        + "\"conn\":-1,\"leaf\":-1},\"type\":\"account\",\"version\":2}");
    }

    static OperatorMode create() throws Exception {
        return new OperatorMode();
    }

    /** The server configuration: trust the operator, know the account from memory. */
    String serverConfig() {
        return "operator: " + operatorJwt + "\nresolver: MEMORY\nresolver_preload: {\n  " + accountId + ": " + accountJwt + "\n}\n";
    }

    /** Writes a credentials file for a new user of the account. */
    Path userCreds(Path file, String name) throws Exception {
        NKey user = NKey.createUser(null);
        String jwt = JwtUtils.issueUserJWT(account, accountId, new String(user.getPublicKey()), name);
        Files.writeString(file, "-----BEGIN NATS USER JWT-----\n" + jwt + "\n------END NATS USER JWT------\n\n"
                + "************************* IMPORTANT *************************\n"
                + "NKEY Seed printed below can be used to sign and prove identity.\n\n"
                + "-----BEGIN USER NKEY SEED-----\n" + new String(user.getSeed()) + "\n------END USER NKEY SEED------\n");
        return file;
    }
}
