package io.natsoak.app;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.metrics.MetricNames;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Every meter carries the role and instance name, so one dashboard query can split by them. */
@Singleton
public class CommonTags {

    @Produces
    @Singleton
    MeterFilter commonTags() {
        NatsoakConfig config = ConfigLoader.load(Map.of());
        Identity id = Identity.of(config);
        return MeterFilter.commonTags(List.of(Tag.of(MetricNames.TAG_ROLE, id.role().name().toLowerCase(Locale.ROOT)),
                Tag.of(MetricNames.TAG_INSTANCE, id.instance())));
    }
}
