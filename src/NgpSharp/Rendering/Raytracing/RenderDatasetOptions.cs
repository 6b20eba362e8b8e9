namespace NgpSharp.Rendering.Raytracing;

/// <summary>Which layouts <see cref="SyntheticDataset"/> writes: nerf_synthetic, NeuS/DTU, or both.</summary>
public enum DatasetFormat { Nerf, Dtu, Both }

/// <summary>
/// Settings of <see cref="SyntheticDataset.Render"/>. Defaults reproduce the shared bunny dataset's rig: 400×400,
/// 100 train + 10 val views on the upper hemisphere at distance 4, 30 test views on a 30° orbit,
/// camera_angle_x 0.6911…, the model centred and scaled to fit a sphere of radius 1.2, Y-up models turned Z-up.
/// </summary>
public sealed record RenderDatasetOptions
{
    /// <summary>Square image size in pixels.</summary>
    public int Resolution { get; init; } = 400;
    public int Train { get; init; } = 100;
    public int Val { get; init; } = 10;
    public int Test { get; init; } = 30;
    public DatasetFormat Format { get; init; } = DatasetFormat.Nerf;
    /// <summary>Seeds the hemisphere cameras and the pixel jitter.</summary>
    public ulong Seed { get; init; }
    /// <summary>Samples per pixel (stratified; alpha = covered fraction).</summary>
    public int SamplesPerPixel { get; init; } = 4;
    /// <summary>The model is scaled so that its farthest vertex from its bounding-box centre is at this distance.</summary>
    public float ObjectRadius { get; init; } = 1.2f;
    public float CameraDistance { get; init; } = 4f;
    public double CameraAngleX { get; init; } = DatasetCameras.BlenderCameraAngleX;
    public double TestElevationDegrees { get; init; } = 30;
    /// <summary>The model's up axis (OBJ files are usually Y-up).</summary>
    public UpAxis Up { get; init; } = UpAxis.Y;
    /// <summary>Write 16-bit depth PNGs beside the images.</summary>
    public bool Depth { get; init; } = true;
    public bool Shadows { get; init; } = true;
    /// <summary>Render faces whose material library, material or texture is missing in grey (with a warning) instead of failing.</summary>
    public bool AllowMissing { get; init; }
    /// <summary>Render exactly the cameras of this transforms file (one split, named after the file) instead of the generated rig.</summary>
    public string? CamerasFile { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Resolution is < 1 or > 16384) throw new ArgumentException($"resolution must be in [1, 16384], got {Resolution}");
        if (Train < 0 || Val < 0 || Test < 0) throw new ArgumentException($"view counts must be ≥ 0, got train {Train}, val {Val}, test {Test}");
        if (CamerasFile is null && Train + Val + Test == 0) throw new ArgumentException("no views to render (train, val and test are all 0)");
        if (SamplesPerPixel is < 1 or > 1024) throw new ArgumentException($"samples per pixel must be in [1, 1024], got {SamplesPerPixel}");
        if (!(ObjectRadius > 0) || !float.IsFinite(ObjectRadius)) throw new ArgumentException($"object radius must be positive, got {ObjectRadius}");
        if (!(CameraDistance > ObjectRadius) || !float.IsFinite(CameraDistance))
            throw new ArgumentException($"camera distance {CameraDistance} must exceed the object radius {ObjectRadius}");
        if (!(CameraAngleX > 0 && CameraAngleX < Math.PI)) throw new ArgumentException($"camera_angle_x must be in (0, π), got {CameraAngleX}");
    }
}
