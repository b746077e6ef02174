package io.natsoak.config;

import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every setting of {@link NatsoakConfig}, read from the mapping interface itself, so error
 * messages and help text name exactly the keys and values the loader accepts.
 */
public final class SettingCatalog {

    /** One leaf setting: its full key, what values it takes, and its default (or null). */
    public record Setting(String key, String allowed, String defaultValue) {
    }

    private static final Map<String, Setting> SETTINGS = collect();

    private SettingCatalog() {
    }

    public static Map<String, Setting> all() {
        return SETTINGS;
    }

    public static Optional<Setting> find(String key) {
        return Optional.ofNullable(SETTINGS.get(key));
    }

    private static Map<String, Setting> collect() {
        Map<String, Setting> out = new LinkedHashMap<>();
        walk(NatsoakConfig.class, "natsoak", out);
        return out;
    }

    private static void walk(Class<?> group, String prefix, Map<String, Setting> out) {
        Method[] methods = group.getDeclaredMethods();
        Arrays.sort(methods, Comparator.comparing(Method::getName));
        for (Method method : methods) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()) {
                continue;
            }
            WithName withName = method.getAnnotation(WithName.class);
            String key = prefix + "." + (withName != null ? withName.value() : kebab(method.getName()));
            Class<?> type = method.getReturnType();
            if (isGroup(type)) {
                walk(type, key, out);
                continue;
            }
            WithDefault def = method.getAnnotation(WithDefault.class);
            out.put(key, new Setting(key, describe(method.getGenericReturnType()), def == null ? null : def.value()));
        }
    }

    /**
     * The value of every leaf setting of a loaded configuration, by key, read through the same
     * walk as the catalogue (so checks that apply to every setting of a type cannot miss one).
     */
    public static Map<String, Object> values(NatsoakConfig config) {
        Map<String, Object> out = new LinkedHashMap<>();
        read(NatsoakConfig.class, config, "natsoak", out);
        return out;
    }

    private static void read(Class<?> group, Object instance, String prefix, Map<String, Object> out) {
        Method[] methods = group.getDeclaredMethods();
        Arrays.sort(methods, Comparator.comparing(Method::getName));
        for (Method method : methods) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()) {
                continue;
            }
            WithName withName = method.getAnnotation(WithName.class);
            String key = prefix + "." + (withName != null ? withName.value() : kebab(method.getName()));
            Object value;
            try {
                method.setAccessible(true);
                value = method.invoke(instance);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            Class<?> type = method.getReturnType();
            if (isGroup(type)) {
                read(type, value, key, out);
            } else {
                out.put(key, value);
            }
        }
    }

    /** A group of settings ({@code natsoak.worker}, ...): an interface of this package; {@code List} and the like are values. */
    private static boolean isGroup(Class<?> type) {
        return type.isInterface() && type.getPackageName().equals(NatsoakConfig.class.getPackageName());
    }

    static String describe(Type type) {
        if (type instanceof ParameterizedType p) {
            Type raw = p.getRawType();
            Type arg = p.getActualTypeArguments()[0];
            if (raw == Optional.class) {
                return describe(arg) + " (optional)";
            }
            if (raw == List.class) {
                return "a comma-separated list of " + describe(arg);
            }
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == Duration.class) {
            return "a duration such as 500ms, 30s, 2m, 8h";
        }
        if (type instanceof Class<?> c && c.isEnum()) {
            return "one of " + Arrays.stream(c.getEnumConstants())
                    .map(e -> ((Enum<?>) e).name().toLowerCase(Locale.ROOT).replace('_', '-'))
                    .collect(Collectors.joining(", "));
        }
        return "text";
    }

    static String kebab(String camel) {
        StringBuilder sb = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
