"""Parameter text shared by the samplers' docstrings (formatted in with ``str.format``)."""

SAMPLING_STRATEGY = """sampling_strategy : float, str, dict or callable, default='auto'
        How many rows each class should have after resampling, with
        imbalanced-learn's meaning: a float (binary only) is the wanted ratio
        minority / majority; ``'minority'``, ``'not minority'``,
        ``'not majority'``, ``'all'`` or ``'auto'`` (= ``'not majority'``)
        equalise the named classes with the majority; a dict maps class to
        wanted count; a callable takes ``y`` and returns such a dict."""

RANDOM_STATE = """random_state : int, RandomState instance or None, default=None
        Seed of the draws. The same seed, data, parameters and backend give
        identical output."""

BACKEND = """backend : {'auto', 'numpy', 'cupy'}, default='auto'
        Where to compute. ``'auto'`` uses the GPU for CuPy input, and for
        large host input when CuPy and a device are usable; NumPy otherwise.
        The choice made is stored in ``backend_``. ``'cupy'`` needs CuPy:
        ``pip install -e ".[cuda12]"`` (or ``".[cuda13]"``) from the gpusmote
        checkout, or ``pip install cupy-cuda12x`` (gpusmote is not on an index).

    working_memory : float, default=None
        Cap, in MiB, on the temporaries of one block of the neighbour search
        and of the generation (default 256). Lower it to bound memory on big
        data; the result does not change.

    verbose : bool, default=False
        Show progress bars on stderr (tqdm; they render in notebooks too)
        for the neighbour searches."""

K_NEIGHBORS = """k_neighbors : int or object, default=5
        Number of same-class nearest neighbours to interpolate towards. An
        int uses gpusmote's exact blocked search on the chosen backend; an
        object with ``kneighbors`` and ``kneighbors_graph`` (for example a
        ``sklearn.neighbors.NearestNeighbors``) is used as given, on the host."""

FEATURES_AND_BACKEND = """n_features_in_ : int
        Number of features seen during ``fit_resample``.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen during ``fit_resample``; only for DataFrames with
        string column names.

    backend_ : {'numpy', 'cupy'}
        The backend that ran."""


BASE_INDICES = """base_indices_ : ndarray of shape (n_new,)
        For each new row, in output order, the index in X of the original
        row it was made from (the row it was interpolated from, or whose
        neighbours voted for SMOTEN). Lets columns that are not features (an
        id, a timestamp) be carried from that row. A CuPy array for CuPy
        X, NumPy otherwise. gpusmote's own attribute; imbalanced-learn has
        none."""

WEIGHT_MODE = """weight_mode : {'copy', 'interpolate'}, default='copy'
        The weight of each new row when ``fit_resample`` is given
        ``sample_weight`` (original rows keep theirs): ``'copy'``, the weight
        of its base row; ``'interpolate'``, its two parents' weights
        interpolated with the row's own step, ``w[base] + step *
        (w[neighbour] - w[base])`` (floored at 0 where the step extrapolates).
        gpusmote's own parameter."""

WEIGHT_MODE_COPY = """weight_mode : {'copy'}, default='copy'
        The weight of each new row when ``fit_resample`` is given
        ``sample_weight``: that of its base row (the row it copies, or whose
        neighbours voted), as a new row here has no second parent to
        interpolate with. Original rows keep theirs. gpusmote's own parameter."""

ORIGINAL_ROWS = """sample_indices_ : ndarray of shape (n_original_rows,)
        Indices into X of the output rows that are original rows, in output
        order (imbalanced-learn's cleaners' meaning): ``arange(n_samples)``
        here, as the output starts with X unchanged."""

PROVENANCE = """synthetic_mask_ : ndarray of bool of shape (n_samples_new,)
        True for the output rows that are synthetic.

    synthetic_parents_ : ndarray of int64 of shape (n_synthetic, 2)
        For each synthetic row, in output order, its base row and the
        neighbour row it was drawn towards (indices into X), so that columns
        that are not features can be carried from them. -1 where there is no
        neighbour (RandomOverSampler's copies; SMOTEN, whose base row's
        neighbours voted).

    synthetic_steps_ : ndarray of shape (n_synthetic,)
        The signed step of each synthetic row: ``X[base] + step *
        (X[neighbour] - X[base])``, computed in X's dtype, is the row bit for
        bit on NumPy (SMOTENC: its numeric columns; SVMSMOTE's extrapolated
        rows have negative steps). NaN where there is no neighbour.

    sample_weight_ : ndarray of shape (n_samples_new,)
        The weight of each output row, set when ``fit_resample`` is given
        ``sample_weight`` (see ``weight_mode``).

        The provenance attributes (``sample_indices_``, ``synthetic_*``,
        ``base_indices_``) and ``sample_weight_`` are CuPy arrays for CuPy
        X, NumPy otherwise; on a GPU run the provenance comes to the host
        when first read. The ``synthetic_*`` attributes and
        ``sample_weight_`` are gpusmote's own."""

FITTED = """sampling_strategy_ : dict
        Class label -> number of rows to add.

    """ + FEATURES_AND_BACKEND

INTEGER_FEATURES = """Integer and boolean X: the new rows are interpolated, so a NumPy, CuPy,
    list or sparse X of integers or booleans comes back as float64, its
    original rows' values unchanged (imbalanced-learn casts the result back to
    the input's dtype, truncating each new value towards zero). A DataFrame
    keeps each column's dtype: integer columns get the new values rounded to
    the nearest integer. float32 stays float32 and float64 stays float64.

    Values near the dtype's largest: when, in some column, the rows a class
    is interpolated between span more than the dtype can hold (float32 rows
    at -3e38 and +3e38, say), the difference of two rows would overflow and
    new rows would be inf; ``fit_resample`` refuses such data with a
    ValueError naming the column and the class, before any work is done
    (imbalanced-learn returns the inf rows)."""

CLEANER_ROWS = """The kept rows are the caller's own rows, selected: the same container and
    dtype as X (integers and booleans included, as in imbalanced-learn), with
    the values exactly as given."""

NEIGHBOUR_RULE = """Neighbours over all rows leave the row itself out by its index and give
    equal distances to the lower index. imbalanced-learn drops the first of
    k + 1 neighbours from scikit-learn as "the row itself", which with
    duplicate rows may be a copy of it (the row then counts itself), and
    orders equal distances as scikit-learn's search happens to. On data
    without duplicate rows or distance ties both pick the same neighbours;
    with them, the results may differ, and ours follow the exact rule."""
