using System.Numerics;
using NgpSharp.Compute;

namespace NgpSharp.Rendering;

/// <summary>
/// The colour behind each ray: one colour for the batch or one per ray (colours: [R, 3]). Composited as
/// C_out = C + (1 − A)·bg.
/// </summary>
public readonly struct RayBackground<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly T _r, _g, _b;

    RayBackground(DeviceMatrix<T> perRay, T r, T g, T b) { PerRayColours = perRay; _r = r; _g = g; _b = b; }

    /// <summary>The same colour for every ray.</summary>
    public static RayBackground<T> Constant(T r, T g, T b) => new(default, r, g, b);

    /// <summary>One colour per ray, colours: [R, 3].</summary>
    public static RayBackground<T> PerRay(DeviceMatrix<T> colours)
    {
        if (colours.IsNull) throw new ArgumentException("background: per-ray colours are a null matrix");
        if (colours.Cols != 3) throw new ArgumentException($"background: per-ray colours are {colours}, expected [R, 3]");
        return new(colours, default, default, default);
    }

    public static RayBackground<T> Black => Constant(T.Zero, T.Zero, T.Zero);
    public static RayBackground<T> White => Constant(T.One, T.One, T.One);

    /// <summary>[R, 3] when each ray has its own colour; a null matrix for a constant background.</summary>
    public DeviceMatrix<T> PerRayColours { get; }

    public bool IsPerRay => !PerRayColours.IsNull;

    /// <summary>The constant colour (meaningless when <see cref="IsPerRay"/>).</summary>
    public (T R, T G, T B) Colour => (_r, _g, _b);

    internal void CheckShape(int rayCount)
    {
        if (IsPerRay && PerRayColours.Rows != rayCount)
            throw new ArgumentException($"background: per-ray colours are {PerRayColours}, the batch has {rayCount} rays");
    }

    /// <summary>Kernel view: colour c of ray r is view[r·stride + c] (stride 0 for a constant colour).</summary>
    internal ReadOnlySpan<T> HostView(Span<T> constantScratch, out int stride)
    {
        if (IsPerRay) { stride = 3; return PerRayColours.AsSpan(); }
        constantScratch[0] = _r; constantScratch[1] = _g; constantScratch[2] = _b;
        stride = 0;
        return constantScratch[..3];
    }
}
