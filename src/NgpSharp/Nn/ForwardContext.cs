namespace NgpSharp.Nn;

/// <summary>
/// What a Forward call keeps for its Backward (intermediate activations, cell indices, ...). Opaque to
/// callers; dispose it when the backward pass is done to return its buffers.
/// </summary>
public class ForwardContext : IDisposable
{
    readonly List<IDisposable> _owned = [];

    /// <summary>An empty context, for modules that need nothing from the forward pass.</summary>
    public static ForwardContext Empty => new();

    /// <summary>Registers a buffer (or other resource) freed with the context; returns it.</summary>
    public TResource Own<TResource>(TResource resource) where TResource : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    public bool IsDisposed { get; private set; }

    public virtual void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        foreach (var r in _owned) r.Dispose();
        _owned.Clear();
        GC.SuppressFinalize(this);
    }
}
