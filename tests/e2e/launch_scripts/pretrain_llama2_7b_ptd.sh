# examples/llama2/pretrain_llama2_7b_ptd.sh, paths and sizes tiny (TP 8 -> 1, 32 layers -> 2, ...).
LOAD_CHECKPOINT_PATH=$WORK/ckpt
SAVE_CHECKPOINT_PATH=$WORK/ckpt
TOKENIZER_PATH=$WORK/tokenizer/
DATA_PATH=$WORK/data_text_document

$ASCENT train \
       --DDP-impl local \
       --tensor-model-parallel-size 1 \
       --pipeline-model-parallel-size 1 \
       --sequence-parallel \
       --num-layers 2 \
       --hidden-size 32 \
       --position-embedding-type rope \
       --normalization RMSNorm \
       --ffn-hidden-size 64 \
       --num-attention-heads 4 \
       --attention-dropout 0.0 \
       --hidden-dropout 0.0 \
       --init-method-std 0.01 \
       --micro-batch-size 2 \
       --global-batch-size 4 \
       --seq-length 32 \
       --max-position-embeddings 32 \
       --data-path $DATA_PATH \
       --tokenizer-name-or-path $TOKENIZER_PATH \
       --tokenizer-not-use-fast \
       --split 100,0,0 \
       --distributed-backend nccl \
       --lr 1.25e-5 \
       --min-lr 1.25e-6 \
       --lr-decay-style cosine \
       --weight-decay 1e-1 \
       --clip-grad 1.0 \
       --initial-loss-scale 65536.0 \
       --adam-beta1 0.9 \
       --adam-beta2 0.95 \
       --log-interval 1 \
       --load ${LOAD_CHECKPOINT_PATH} \
       --save ${SAVE_CHECKPOINT_PATH} \
       --save-interval 10000 \
       --eval-interval 10000 \
       --eval-iters 0 \
       --use-fused-rotary-pos-emb \
       --no-masked-softmax-fusion \
       --no-load-optim \
       --no-load-rng \
       --train-iters $ITERS \
       --lr-warmup-fraction 0.01 \
       --mlp-layer-fusion \
       --use-flash-attn \
       --bf16
