// Batch topic creation for `kafka.sh create-topics`: one JVM and one
// CreateTopics request for all topics, instead of one TopicCommand JVM per
// topic (about 2 s each). Same semantics as
// `TopicCommand --create --if-not-exists`: an existing topic is not an error
// (its partition count is not changed).
//
// Usage: java -cp <kafka lib>/* CreateTopics BOOTSTRAP name:partitions:replication...
// kafka.sh compiles this once into the jar cache (needs javac; without it
// kafka.sh falls back to TopicCommand).

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

public final class CreateTopics {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: CreateTopics BOOTSTRAP name:partitions:replication...");
            System.exit(2);
        }
        List<NewTopic> topics = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String[] f = args[i].split(":");
            if (f.length != 3) {
                System.err.println("bad topic spec: " + args[i]);
                System.exit(2);
            }
            topics.add(new NewTopic(f[0], Integer.parseInt(f[1]), Short.parseShort(f[2])));
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "kafka.sh-create-topics");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        int failed = 0;
        try (Admin admin = Admin.create(props)) {
            CreateTopicsResult result = admin.createTopics(topics);
            for (Map.Entry<String, KafkaFuture<Void>> e : result.values().entrySet()) {
                try {
                    e.getValue().get();
                    System.out.println("Created topic " + e.getKey() + ".");
                } catch (ExecutionException ex) {
                    if (ex.getCause() instanceof TopicExistsException) {
                        System.out.println("Topic " + e.getKey() + " already exists.");
                    } else {
                        System.err.println("Failed to create topic " + e.getKey() + ": " + ex.getCause());
                        failed++;
                    }
                }
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
