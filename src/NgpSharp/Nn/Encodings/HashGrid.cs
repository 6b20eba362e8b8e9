using System.Numerics;
using NgpSharp.Compute;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// Multiresolution grid encoding (Müller et al. 2022; tiny-cuda-nn's GridEncoding: "HashGrid", "DenseGrid",
/// "TiledGrid"). input: [B, d] with d in 1..4, nominally in [0, 1]^d; output: [B, n_levels·F] level-major
/// (level 0 features 0..F−1, level 1, ...), padded with zeros to the alignment. Level l has
/// scale = 2^(l·log2 b)·N_min − 1, resolution ceil(scale) + 1, and a table of min(roundup8(res^d), 2^log2T)
/// entries × F (Hash), roundup8(res^d) (Dense), or min(roundup8(res^d), N_min^d) (Tiled).
/// Parameters: the tables one after another, each [entries, F] row-major.
/// </summary>
/// <remarks>
/// CPU: the forward pass runs level by level over chunks of samples (one table hot in cache) into a
/// level-major scratch [L, B, F] that is then copied into the output rows. The parameter-gradient scatter gives each
/// level to one thread (tables are disjoint), which adds contributions in sample order: no atomics, and results
/// bit-identical for any thread count. Scratch buffers belong to the module: do not run one module from two
/// threads at once.
/// CUDA (T = float only; HashGrid.cu, HashGrid.Cuda.cs): the same formulas with the per-level constants computed here
/// on the host; parameter gradients by atomics (not bit-reproducible); optional fp16 parameters
/// (<see cref="ParameterPrecision"/>).
/// </remarks>
public sealed partial class HashGrid<T> : Encoding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly GridLevel[] _levels;
    readonly long _totalEntries;
    int _activeLevels;

    /// <summary>A grid encoding; arguments as tiny-cuda-nn's JSON keys (see <see cref="FromJson"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An argument outside its valid range (named).</exception>
    public HashGrid(Backend backend, int inputDims, int nLevels = 16, int featuresPerLevel = 2, int log2HashmapSize = 19,
        int baseResolution = 16, double perLevelScale = 2.0, GridType type = GridType.Hash,
        GridInterpolation interpolation = GridInterpolation.Linear)
        : base(backend)
    {
        if (backend.Kind == BackendKind.Cuda && typeof(T) != typeof(float))
            throw new NotSupportedException($"CUDA kernels run in float; use HashGrid<float> (got HashGrid<{typeof(T).Name}>)");
        Validate(inputDims, nLevels, featuresPerLevel, log2HashmapSize, baseResolution, perLevelScale, type,
            (key, problem) => new ArgumentOutOfRangeException(key, problem));
        InputDims = inputDims;
        NLevels = nLevels;
        FeaturesPerLevel = featuresPerLevel;
        Log2HashmapSize = log2HashmapSize;
        BaseResolution = baseResolution;
        PerLevelScale = perLevelScale;
        Type = type;
        Interpolation = interpolation;
        _levels = HashGridLayout.Build(inputDims, nLevels, log2HashmapSize, baseResolution, perLevelScale, type, out _totalEntries);
        _activeLevels = nLevels;
    }

    /// <summary>Input dimensions d (1..4).</summary>
    public int InputDims { get; }
    /// <summary>Number of levels L.</summary>
    public int NLevels { get; }
    /// <summary>Features per level F (1, 2, 4 or 8).</summary>
    public int FeaturesPerLevel { get; }
    /// <summary>log2 of the largest hashed table's entry count T.</summary>
    public int Log2HashmapSize { get; }
    /// <summary>N_min, the coarsest level's resolution.</summary>
    public int BaseResolution { get; }
    /// <summary>b, the resolution growth per level.</summary>
    public double PerLevelScale { get; }
    public GridType Type { get; }
    public GridInterpolation Interpolation { get; }

    /// <summary>
    /// Levels [0, ActiveLevels) are used; finer ones output 0 and receive no gradient (progressive training as in
    /// instant-nsr-pl). Default: all levels.
    /// </summary>
    public int ActiveLevels
    {
        get => _activeLevels;
        set
        {
            if (value < 0 || value > NLevels)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"ActiveLevels must be in 0..{NLevels}");
            _activeLevels = value;
        }
    }

    public override int InputWidth => InputDims;
    public override int EncodedWidth => NLevels * FeaturesPerLevel;
    public override long ParamCount => _totalEntries * FeaturesPerLevel;

    /// <summary>Resolution (vertices per dimension) of level <paramref name="level"/>.</summary>
    public int LevelResolution(int level) => (int)_levels[level].Resolution;
    /// <summary>Scale of level <paramref name="level"/>: pos = x·scale + 0.5.</summary>
    public float LevelScale(int level) => _levels[level].Scale;
    /// <summary>Number of table entries of level <paramref name="level"/> (parameters = entries × F).</summary>
    public long LevelEntries(int level) => _levels[level].Size;
    /// <summary>Index of the first parameter of level <paramref name="level"/>.</summary>
    public long LevelParamOffset(int level) => _levels[level].Offset * FeaturesPerLevel;
    /// <summary>Whether level <paramref name="level"/> is indexed by the spatial hash (else densely).</summary>
    public bool IsLevelHashed(int level) => _levels[level].Hashed;

    /// <summary>
    /// Entry index (not parameter index) of grid vertex <paramref name="vertex"/> ([d] integer coordinates) in
    /// level <paramref name="level"/>'s table: dense x + y·res + ... when the level is dense, else
    /// XOR_d(vertex_d·π_d) with π = (1, 2654435761, 805459861, 3674653429); modulo the entry count.
    /// </summary>
    public long VertexIndex(int level, ReadOnlySpan<uint> vertex)
    {
        if (vertex.Length != InputDims) throw new ArgumentException($"vertex has {vertex.Length} coordinates, the grid {InputDims}");
        return HashGridLayout.Index(_levels[level], vertex);
    }

    /// <summary>Uniform in ±1e-4·scale (tiny-cuda-nn), drawn in parameter order from <paramref name="rng"/>.</summary>
    public override void InitializeParams(ref Rng rng, DeviceSpan<T> parameters, float scale = 1f)
    {
        if (parameters.Length != ParamCount)
            throw new ArgumentException($"HashGrid has {ParamCount} parameters; got a view of {parameters.Length}");
        var values = new T[parameters.Length];
        float range = 2e-4f * scale, low = -1e-4f * scale;
        for (int i = 0; i < values.Length; i++) values[i] = T.CreateChecked(rng.NextFloat() * range + low);
        Backend.CopyFromHost<T>(values, parameters);
    }

    internal ReadOnlySpan<GridLevel> Levels => _levels;

    static void Validate(int inputDims, int nLevels, int featuresPerLevel, int log2HashmapSize, int baseResolution,
        double perLevelScale, GridType type, Func<string, string, Exception> error)
    {
        if (inputDims is < 1 or > 4) throw error("n_input_dims", $"grid encodings take 1 to 4 input dimensions, got {inputDims}");
        if (nLevels is < 1 or > 128) throw error("n_levels", $"must be in 1..128, got {nLevels}");
        if (featuresPerLevel is not (1 or 2 or 4 or 8)) throw error("n_features_per_level", $"must be 1, 2, 4 or 8, got {featuresPerLevel}");
        if (log2HashmapSize is < 1 or > 30) throw error("log2_hashmap_size", $"must be in 1..30, got {log2HashmapSize}");
        if (baseResolution < 1) throw error("base_resolution", $"must be ≥ 1, got {baseResolution}");
        if (!double.IsFinite(perLevelScale) || perLevelScale < 1) throw error("per_level_scale", $"must be a finite number ≥ 1, got {perLevelScale}");
        HashGridLayout.Build(inputDims, nLevels, log2HashmapSize, baseResolution, perLevelScale, type, out long entries);
        if (entries * featuresPerLevel > Array.MaxLength)
        {
            string key = type == GridType.Hash ? "log2_hashmap_size" : "n_levels";
            throw error(key, $"the {type} grid would need {entries * featuresPerLevel} parameters, more than a CPU buffer holds ({Array.MaxLength})");
        }
    }
}
