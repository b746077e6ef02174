package io.natsoak.worker;

import io.natsoak.model.MalformedMessageException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PositionTest {

    @Test
    void roundTripsEveryField() {
        Position p = new Position(120, true, 900, "worker-1-ab12cd34");
        assertThat(new String(p.encode(), StandardCharsets.UTF_8)).isEqualTo("120,clean,900,worker-1-ab12cd34");
        assertThat(Position.decode(p.encode())).isEqualTo(p);
    }

    @Test
    void aReplayHorizonAtOrBelowThePositionIsFinishedAndStoredAsNone() {
        assertThat(new Position(500, true, 500, "w").replayUntil()).isZero();
        assertThat(new Position(500, false, 20, "w").replayUntil()).isZero();
        assertThat(new Position(500, false, 501, "w").replayUntil()).isEqualTo(501);
    }

    @Test
    void malformedRecordsNameTheFieldAndWhatIsAllowed() {
        assertThatThrownBy(() -> Position.decode("12,clean,w".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessage("position record has 3 fields, expected 4 (<stream sequence>,<clean|running>,<replay until>,<owner>)");
        assertThatThrownBy(() -> Position.decode("12,done,0,w".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("position record has state 'done', expected clean or running");
        assertThatThrownBy(() -> Position.decode("x,clean,0,w".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("position record has a bad stream sequence: x");
        assertThatThrownBy(() -> Position.decode("1,clean,y,w".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("position record has a bad replay horizon: y");
    }
}
