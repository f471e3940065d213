using System.Reflection;
using System.Runtime.InteropServices;

namespace KafkaIngestion.EmbeddedKafka;

/// <summary>
/// The parts of librdkafka's C API that Confluent.Kafka does not wrap: creating a bare client
/// handle and driving the mock cluster (see rdkafka_mock.h).
/// </summary>
internal static partial class LibRdKafka
{
    private const string Library = "librdkafka";
    public const int ProducerType = 0;

    static LibRdKafka() => NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, Resolve);

    [LibraryImport(Library)]
    public static partial nint rd_kafka_conf_new();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(nint conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial void rd_kafka_conf_destroy(nint conf);

    [LibraryImport(Library)]
    public static partial nint rd_kafka_new(int type, nint conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial void rd_kafka_destroy(nint rk);

    [LibraryImport(Library)]
    public static partial nint rd_kafka_mock_cluster_new(nint rk, int brokerCount);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_cluster_destroy(nint mockCluster);

    [LibraryImport(Library)]
    public static partial nint rd_kafka_mock_cluster_bootstraps(nint mockCluster);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(nint mockCluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_down(nint mockCluster, int brokerId);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_up(nint mockCluster, int brokerId);

    /// <summary>The next <paramref name="count"/> requests of this API key, from any client, fail with these errors.</summary>
    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_push_request_errors_array(nint mockCluster, short apiKey, nuint count, int[] errors);

    /// <summary>Drops the errors still pushed for this API key.</summary>
    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_clear_request_errors(nint mockCluster, short apiKey);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_set_controller_id(nint mockCluster, int brokerId);

    /// <summary>The address the broker advertises in Metadata and FindCoordinator answers.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void rd_kafka_mock_broker_set_host_port(nint mockCluster, int brokerId, string host, int port);

    /// <summary>
    /// Binds to the very librdkafka file Confluent.Kafka loaded, so the mock cluster and the
    /// clients share one copy (on Debian the default build needs libsasl2 and Confluent falls
    /// back to a self-contained one; a second, different copy in the process would be trouble).
    /// </summary>
    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
        {
            return 0;
        }

        Confluent.Kafka.Library.Load();
        if (OperatingSystem.IsLinux())
        {
            var loaded = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6 && fields[5].Contains("librdkafka", StringComparison.Ordinal))
                .Select(fields => string.Join(' ', fields[5..]))
                .FirstOrDefault();
            if (loaded is not null)
            {
                return NativeLibrary.Load(loaded);
            }
        }

        return NativeLibrary.Load(Library, assembly, searchPath);
    }
}
