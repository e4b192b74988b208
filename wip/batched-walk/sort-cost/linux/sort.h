typedef void (*swap_r_func_t)(void *a, void *b, int size, const void *priv);
typedef void (*swap_func_t)(void *a, void *b, int size);
typedef int (*cmp_r_func_t)(const void *a, const void *b, const void *priv);
typedef int (*cmp_func_t)(const void *a, const void *b);
void sort_r(void *base, size_t num, size_t size, cmp_r_func_t cmp, swap_r_func_t swap, const void *priv);
void sort(void *base, size_t num, size_t size, cmp_func_t cmp, swap_func_t swap);
