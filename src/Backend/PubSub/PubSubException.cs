namespace Backend.PubSub;

/// <summary>A publish or subscribe the transport could not do: its server (Redis, the AMQP broker) unreachable, or a
/// timeout. Publishers fail fast rather than queue: pub/sub delivers to who listens now, and a request must not wait on
/// a broker that is down.</summary>
public sealed class PubSubException : Exception
{
    /// <summary>A transport failure.</summary>
    public PubSubException() : this("pub/sub unavailable") { }

    /// <summary>A transport failure.</summary>
    public PubSubException(string message) : base(message) { }

    /// <summary>A transport failure with its cause.</summary>
    public PubSubException(string message, Exception inner) : base(message, inner) { }
}
